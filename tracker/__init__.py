"""hoso tracker: the custody of paper dossiers as an event-sourced log, with its CLI and API."""
