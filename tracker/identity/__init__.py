"""Who is acting: accounts and their credentials, the identity a request carries, what each role
may do where (``permissions``), and the log of who read a citizen's data (``access_log``)."""
