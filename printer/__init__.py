"""Ticket printing for kiosk PCs: render (Pillow, Japanese font), talk ESC/POS (python-escpos),
spool what could not be printed. Never imports `server`: tickets arrive as plain dicts.

- printer.agent: print_ticket(), PrintQueue (durable spool), PrintResult
- printer.status: PrinterStatus, query_printer_status()
- printer.render: render_ticket(), render_test_slip(), find_japanese_font()
- printer.connection: parse_printer_url(), create_printer()
- printer.simulator: PrinterSimulator, parse_escpos() (tests, demos)
- printer.cli: `madoguchi printer test|status`
"""
