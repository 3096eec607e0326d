"""The MCP server at ``/mcp``: AI assistants ask the REST API's questions (docs/mcp.md).

``tools.py`` is what each tool asks and how its arguments are read; ``server.py`` the SDK's
server built from them, mounted in the app and checked at the edge.
"""
