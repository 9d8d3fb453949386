import socket

import pytest


def test_non_loopback_connections_are_refused():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises(ConnectionRefusedError, match="loopback"):
        sock.connect(("13.35.0.1", 443))  # an address in the Hub's CDN range
    sock.close()


def test_hub_downloads_fail_fast_in_the_suite():
    from huggingface_hub import constants, hf_hub_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    assert constants.HF_HUB_OFFLINE
    with pytest.raises(LocalEntryNotFoundError):
        hf_hub_download("gpt2", "config.json", cache_dir="/nonexistent-cache-for-test")


def test_loopback_connections_still_work():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client.connect(server.getsockname())
    client.close()
    server.close()
