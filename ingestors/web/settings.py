"""Settings of the web intake (`python -m ingestors.web`)."""

from typing import Annotated, Literal

from pydantic import Field, SecretStr

from runtime.settings import CommonSettings

DEV_API_KEY = "sportello-dev-key"


class WebSettings(CommonSettings):
    web_host: str = "127.0.0.1"
    web_port: Annotated[int, Field(ge=0, le=65535)] = 8080
    public_url: Annotated[
        str, Field(description="how citizens reach this server; used in status links")
    ] = "http://127.0.0.1:8080"
    environment: Literal["development", "production"] = "development"
    api_keys: Annotated[
        tuple[SecretStr, ...],
        Field(description='gateway and operator keys, JSON list: ["k1","k2"]'),
    ] = ()
    publish_timeout_s: Annotated[
        float, Field(gt=0, description="how long to wait for Kafka before answering 503")
    ] = 5.0
    retry_after_s: Annotated[int, Field(ge=1)] = 5
    max_body_bytes: Annotated[int, Field(ge=1024)] = 1_048_576

    def effective_api_keys(self) -> tuple[str, ...]:
        """The keys callers may present. In development with none configured, the
        well-known development key; in production, none configured is a start-up error."""
        keys = tuple(k.get_secret_value() for k in self.api_keys)
        if keys:
            return keys
        if self.environment == "production":
            raise ValueError("SPORTELLO_API_KEYS must be set in production")
        return (DEV_API_KEY,)
