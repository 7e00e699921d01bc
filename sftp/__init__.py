"""erengine's transport: moves bank files to and from SFTP servers and drop folders.

It never imports ``erengine`` and never parses a format; it moves bytes and records what it
moved. Entry points: ``Courier`` (deliver), ``Picker`` (pick up), ``fetch_host_key`` (pin a
new bank), ``find_endpoint`` (load an endpoint YAML file).
"""

from .archive import Archive, ManifestEntry
from .connect import HostKeyInfo, SftpSession, fetch_host_key
from .deliver import Courier, DeliveryReceipt
from .durable import SyncBatch, data_folder
from .endpoint import LocalEndpoint, SftpEndpoint, find_endpoint, load_endpoint, parse_endpoint
from .errors import SftpError
from .ledger import Ledger
from .local import LocalFolder
from .pickup import PickedFile, Picker, PickupReport, RetryLater

__all__ = [
    "Archive",
    "Courier",
    "DeliveryReceipt",
    "HostKeyInfo",
    "Ledger",
    "LocalEndpoint",
    "LocalFolder",
    "ManifestEntry",
    "PickedFile",
    "Picker",
    "PickupReport",
    "RetryLater",
    "SftpEndpoint",
    "SftpError",
    "SftpSession",
    "SyncBatch",
    "data_folder",
    "fetch_host_key",
    "find_endpoint",
    "load_endpoint",
    "parse_endpoint",
]
