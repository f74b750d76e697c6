"""Excel workbooks in and out (openpyxl): the self-assessment with its estimated score, the bulk sheet, the working
group's sheet, council scoring workbooks, the results workbook and criteria sets. Every upload is read through
`safety.read_grids` (zip checks before parsing, caps, a time bound); every import goes through the services,
all or nothing, with each problem named by file, sheet and cell.

    safety            checks of an upload before and while it is parsed; text never written as a formula
    layout            styles, Vietnamese number formats, print set-up, metadata sheet
    estimate          Excel formulas generated from a criteria set's rules
    values            reading typed cells into dossier values
    self_assessment   the self-assessment workbook, written and read
    bulk              the bulk sheet (one row per product), written and read
    dossier_import    importing dossiers through the dossier services
    working_sheet     the working group's sheet (preliminary scores of a round)
    council           a council member's scoring workbook, written and imported
    results_book      the results workbook
    criteria_book     criteria sets to and from Excel
"""
