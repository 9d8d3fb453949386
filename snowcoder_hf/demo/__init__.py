"""The whole recipe as one resumable run: its config, its steps, its publishing step and its report."""
