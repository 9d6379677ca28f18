"""Markdown written by managers (instructions), rendered to sanitised HTML."""
import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Raw HTML in the source stays text; what the renderer makes is then cleaned again, links included.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(text):
    html = _markdown.render(text or "")
    return Markup(nh3.clean(  # noqa: S704 (nh3 has just cleaned it)
        html, url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow"))


def register(app):
    app.add_template_filter(render_markdown, "markdown")
