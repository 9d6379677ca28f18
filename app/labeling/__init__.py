"""The labeling page, task distribution, annotations and drafts."""
