"""The caller that speaks a run's API: chat completions (`api: chat`) or TGI's native route (`api: tgi-native`)."""

from __future__ import annotations

from snowcoder_hf.synth.client import ChatCaller, EndpointConfig


def make_caller(config: EndpointConfig, max_connections: int, on_retry=None) -> ChatCaller:
    """A caller whose `complete(chat_payload)` returns an OpenAI-style dict, whichever API serves it."""
    if config.api == "tgi-native":
        from snowcoder_hf.synth.tgi_native import TgiNativeCaller

        return TgiNativeCaller(config, max_connections, on_retry)
    return ChatCaller(config, max_connections, on_retry)


def request_identity(config: EndpointConfig) -> dict:
    """What, besides the model, decides the text a request's prompt becomes: empty for chat (the server
    applies its template), the prompt format (chat template digest or raw) for TGI's native route."""
    if config.api != "tgi-native":
        return {}
    from snowcoder_hf.synth.tgi_native import prompt_format_of

    return {"api": config.api, **config.native.fingerprint_settings(), **prompt_format_of(config).identity()}
