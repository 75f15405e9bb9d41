"""Views projected from the custody log: dossier status, office queues, the provincial report."""
