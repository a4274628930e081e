"""From a workshop's rows to the pure calculator's inputs (SPEC W2, W5): one place, so the
sizing page, the retention chart, the frozen decision and the sizing sheet compute alike."""

from onboarding.models import SiemWorkshop
from onboarding.siem.sizing import Constants, LogSource


def constants_of(workshop: SiemWorkshop) -> Constants:
    w = workshop
    return Constants(
        peak_factor=w.peak_factor,
        index_ratio=w.index_ratio,
        replicas=w.replicas,
        disk_watermark=w.disk_watermark,
        margin=w.margin,
        ram_per_node_gb=w.ram_per_node_gb,
        memory_data_ratio={"hot": w.ratio_hot, "warm": w.ratio_warm, "cold": w.ratio_cold},
        compression={
            "hot": w.compression_hot,
            "warm": w.compression_warm,
            "cold": w.compression_cold,
        },
        failover_from_nodes=w.failover_from_nodes,
        splunk_raw_ratio=w.splunk_raw_ratio,
        splunk_index_ratio=w.splunk_index_ratio,
        splunk_replication_factor=w.splunk_replication_factor,
        splunk_search_factor=w.splunk_search_factor,
    )


def sources_of(workshop: SiemWorkshop) -> list[LogSource]:
    """The workshop's log sources in their order (one query)."""
    return [
        LogSource(
            name=row.name,
            devices=row.devices,
            eps_per_device=row.eps_per_device,
            event_bytes=row.event_bytes,
        )
        for row in workshop.sources.all()
    ]
