"""Drawings of call flows: DOT built with the graphviz package, rendered by the real `dot`."""

from flowc.render_graph.dot import DrawOptions, flow_dot, neighbourhood
from flowc.render_graph.output import FORMATS, RenderError, render, write_drawing
from flowc.render_graph.page import html_page

__all__ = [
    "FORMATS",
    "DrawOptions",
    "RenderError",
    "flow_dot",
    "html_page",
    "neighbourhood",
    "render",
    "write_drawing",
]
