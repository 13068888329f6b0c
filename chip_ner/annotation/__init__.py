"""The annotation loop with doccano: the local server, its REST API, push, pull and the sync state they share."""
