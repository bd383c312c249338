"""Every service `sportello run` starts has a metrics endpoint of its own, on its own default
port, moved by the setting `runtime.services` names."""

import pytest
from pydantic_settings import BaseSettings

from ingestors.postal.settings import PostalSettings
from ingestors.scans.settings import ScanSettings
from ingestors.smtp.settings import SmtpSettings
from ingestors.web.settings import WebSettings
from processors.settings import WorkerSettings
from runtime.metrics_http import DEFAULT_PORTS
from runtime.services import METRICS_PORT_SETTINGS, SERVICES
from sinks.notify.settings import NotifierSettings
from sinks.postgres.settings import SinkSettings

SETTINGS: dict[str, type[BaseSettings]] = {
    "web": WebSettings,
    "smtp": SmtpSettings,
    "scans": ScanSettings,
    "postal": PostalSettings,
    "worker": WorkerSettings,
    "sink": SinkSettings,
    "notifier": NotifierSettings,
}


def test_each_service_has_a_port_of_its_own() -> None:
    assert set(METRICS_PORT_SETTINGS) == {s.name for s in SERVICES} == set(DEFAULT_PORTS)
    assert len(set(DEFAULT_PORTS.values())) == len(DEFAULT_PORTS)
    for name, field in METRICS_PORT_SETTINGS.items():
        cls = SETTINGS[name]
        assert cls.model_fields[field].default == DEFAULT_PORTS[name], name
        assert str(DEFAULT_PORTS[name]) in next(s.what for s in SERVICES if s.name == name)


def test_the_port_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPORTELLO_POSTAL_METRICS_PORT", "19469")
    monkeypatch.setenv("SPORTELLO_WEB_METRICS_PORT", "19466")
    assert PostalSettings().postal_metrics_port == 19469
    assert WebSettings().web_metrics_port == 19466
