"""The printed papers of Circular 01/2018/TT-VPCP: the slips a citizen is handed (Mẫu 01–04, A5)
and an office's dossier register (Mẫu 06, A4 landscape, and CSV).

``documents`` and ``register`` say what each paper states, read from the dossiers' histories
and the province data; ``pdf`` and ``register_pdf`` lay them out with reportlab, in DejaVu
Serif from Debian's ``fonts-dejavu-core``, with the dossier code as Code 128 and as a QR code
of the public lookup's address.
"""
