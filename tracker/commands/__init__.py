"""Every command and answer defined once, as typed data with its bounds.

The API parses requests with these models, the OpenAPI document is generated from them, the CLI
builds its options from them, and the application receives them. A field added to a model
appears in all four.
"""
