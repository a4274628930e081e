"""The log-source types the catalogue starts with (SPEC W2): typical events per second per
device and average event size, the usual rules of thumb of SIEM vendors' sizing guides. Admins
edit them; the CSTM overrides them per customer with measured figures."""

from decimal import Decimal

# (name, typical EPS per device, average event bytes, description)
LOG_SOURCE_TYPES: list[tuple[str, str, str, str]] = [
    ("Firewall", "50", "500", "Perimeter firewall, traffic logs on"),
    ("Windows server", "5", "1200", "Security event log"),
    ("Linux server", "2", "300", "syslog / auditd"),
    ("Domain controller", "40", "1500", "Active Directory security log"),
    ("Web proxy", "30", "700", "Secure web gateway"),
    ("IDS/IPS", "20", "600", "Network intrusion detection"),
    ("VPN gateway", "5", "400", "Remote access sessions"),
    ("Database server", "10", "800", "Audit log"),
    ("Cloud audit log", "10", "1500", "Microsoft 365, AWS CloudTrail, Azure activity"),
    ("Workstation (EDR)", "1", "1000", "Endpoint agent"),
    ("Mail gateway", "5", "900", "Mail security gateway"),
    ("Network switch/router", "1", "250", "syslog"),
]


def rows() -> list[dict]:
    return [
        {
            "name": name,
            "description": description,
            "typical_eps_per_device": Decimal(eps),
            "average_event_bytes": Decimal(size),
            "position": position,
        }
        for position, (name, eps, size, description) in enumerate(LOG_SOURCE_TYPES, start=1)
    ]
