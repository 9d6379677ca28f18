"""Plugins: the organization's access request, project plugin stacks with revisions, the runtime and the gallery."""
