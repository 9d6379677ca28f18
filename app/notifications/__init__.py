"""In-app notifications: a badge in the top bar and a page listing them."""
