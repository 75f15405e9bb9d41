"""Outside witnesses of the custody log (c2sp.org/tlog-witness v1): the server and the log side."""
