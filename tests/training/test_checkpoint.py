import pytest
import torch
from torch import nn

from genlab import io
from genlab.errors import UsageError
from genlab.training import checkpoint


def _net_and_opt(seed):
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    opt = torch.optim.Adam(net.parameters(), lr=1e-2, betas=(0.5, 0.9))
    for _ in range(3):
        opt.zero_grad()
        net(torch.randn(5, 3)).pow(2).sum().backward()
        opt.step()
    return net, opt


def test_roundtrip_restores_weights_optimizer_and_rng(tmp_path):
    net, opt = _net_and_opt(0)
    torch.manual_seed(123)
    checkpoint.save(tmp_path / "c.safetensors", modules={"net": net}, optimizers={"net": opt},
                    extra={"ema": torch.arange(3.0)}, meta={"step": 7})
    expected_next = torch.rand(4)

    net2, opt2 = _net_and_opt(1)
    torch.manual_seed(999)
    meta, extra = checkpoint.restore(tmp_path / "c.safetensors", modules={"net": net2},
                                     optimizers={"net": opt2}, device=torch.device("cpu"))
    assert meta["step"] == 7
    assert torch.equal(extra["ema"], torch.arange(3.0))
    assert torch.equal(torch.rand(4), expected_next)  # RNG restored
    for a, b in zip(net.state_dict().values(), net2.state_dict().values()):
        assert torch.equal(a, b)
    s1, s2 = opt.state_dict(), opt2.state_dict()
    assert s1["param_groups"][0]["betas"][0] == s2["param_groups"][0]["betas"][0] == 0.5
    for idx in s1["state"]:
        for key in s1["state"][idx]:
            assert torch.equal(torch.as_tensor(s1["state"][idx][key]), torch.as_tensor(s2["state"][idx][key]))


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_corrupt_file_is_one_usage_error(tmp_path, damage):
    net, _ = _net_and_opt(0)
    path = tmp_path / "c.safetensors"
    checkpoint.save(path, modules={"net": net}, optimizers={}, meta={"step": 1})
    blob = path.read_bytes()
    path.write_bytes({"truncate": blob[: len(blob) // 2], "garbage": b"\x00junk" * 40, "empty": b""}[damage])
    with pytest.raises(UsageError, match="not a readable safetensors"):
        checkpoint.read_safetensors(path)


def test_weights_for_another_model_are_refused(tmp_path):
    net, _ = _net_and_opt(0)
    path = tmp_path / "c.safetensors"
    checkpoint.save(path, modules={"net": net}, optimizers={}, meta={})
    other = nn.Sequential(nn.Linear(3, 8))
    with pytest.raises(UsageError, match="do not fit"):
        checkpoint.restore(path, modules={"net": other}, optimizers={}, device=torch.device("cpu"))


def test_atomic_write_keeps_old_file_when_writer_fails(tmp_path):
    path = tmp_path / "f.json"
    io.write_json(path, {"a": 1})

    def failing(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        io.write_with(path, failing)
    assert '"a": 1' in path.read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_read_jsonl_skips_a_torn_last_line(tmp_path):
    path = tmp_path / "m.jsonl"
    io.append_jsonl(path, {"step": 1})
    with open(path, "a") as f:
        f.write('{"step": 2, "lo')
    assert io.read_jsonl(path) == [{"step": 1}]


def test_atomic_writes_get_the_mode_of_any_new_file(tmp_path):
    """mkstemp's 0600 must not leak into the file: a run or page on a shared folder stays readable."""
    import os

    mask = os.umask(0o022)
    os.umask(mask)
    io.write_json(tmp_path / "a.json", {"x": 1})
    plain = tmp_path / "plain"
    plain.write_text("x")
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == plain.stat().st_mode & 0o777 == io.FILE_MODE


def test_read_jsonl_skips_values_that_are_not_rows(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text('[1]\n3\n{"step": 1}\n"text"\n')
    assert io.read_jsonl(path) == [{"step": 1}]
