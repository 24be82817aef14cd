"""``imgfusion serve`` comes from the workbench family's plugin, and refuses bad input
before it listens."""
from imgfusion.cli import main


def test_serve_is_registered_by_the_workbench_plugin(registry):
    assert registry.commands["serve"].source == "builtin plugin imgfusion.workbench.plugin"


def test_serve_refuses_a_file_as_folder_and_a_bad_port(tmp_path, capsys):
    (tmp_path / "a.png").write_bytes(b"x")
    assert main(["serve", str(tmp_path / "a.png"), "--no-browser"]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert main(["serve", str(tmp_path), "--port", "70000", "--no-browser"]) == 2
    assert "not a port number" in capsys.readouterr().err


def test_serve_on_a_taken_port_is_a_usage_error_before_any_url(tmp_path, capsys):
    """It printed a URL, then uvicorn's bind error, and exited 3."""
    import socket

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        assert main(["serve", str(tmp_path), "--port", str(port), "--no-browser",
                     "--out", str(tmp_path / "made")]) == 2
    out, err = capsys.readouterr()
    assert "http://" not in out and f"--port {port}:" in err
    assert not (tmp_path / "made").exists()
