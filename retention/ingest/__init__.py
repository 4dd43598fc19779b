"""Ingestion: read a purchase file, map its columns to roles, validate, and load it in one
transaction. See ``loader`` for the flow and ``sniff`` for detection."""

from retention.ingest.customers import CustomerReport, ingest_customers
from retention.ingest.errors import IngestError
from retention.ingest.loader import Inspection, LoadReport, inspect_file, load_file
from retention.ingest.reader import ReadOptions
from retention.ingest.roles import ROLE_BY_NAME, ROLES, auto_map
from retention.ingest.sniff import DATE_FORMATS, DELIMITERS, ENCODINGS
from retention.ingest.source import LoadFolder, clean_stale_temp_dirs

__all__ = [
    "DATE_FORMATS", "DELIMITERS", "ENCODINGS", "ROLES", "ROLE_BY_NAME", "CustomerReport",
    "IngestError",
    "Inspection", "LoadFolder", "LoadReport", "ReadOptions", "auto_map", "clean_stale_temp_dirs",
    "ingest_customers", "inspect_file", "load_file",
]
