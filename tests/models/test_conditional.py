"""The class-conditional wrappers: label plumbing, shapes, and the projection discriminator's identities."""

import pytest
import torch

from genlab.errors import UsageError
from genlab.models.conditional import (
    LabelledInput,
    LabelledLatent,
    ProjectionDiscriminator,
    balanced_labels,
    classes_of,
    one_hot,
)
from genlab.models.gan import DCGANDiscriminator, MLPDiscriminator


def test_one_hot_checks_its_labels():
    like = torch.zeros(1, dtype=torch.float64)
    assert one_hot(torch.tensor([2, 0]), 3, like).tolist() == [[0, 0, 1], [1, 0, 0]]
    assert one_hot(torch.tensor([1]), 3, like).dtype == torch.float64
    with pytest.raises(ValueError, match="0..2"):
        one_hot(torch.tensor([3]), 3, like)
    with pytest.raises(ValueError, match=r"\(B,\)"):
        one_hot(torch.zeros(2, 1, dtype=torch.long), 3, like)


def test_balanced_labels_cycle_and_unlabelled_data_is_refused():
    assert balanced_labels(7, 3, "cpu").tolist() == [0, 1, 2, 0, 1, 2, 0]
    assert classes_of(10) == 10
    with pytest.raises(UsageError, match="labelled dataset"):
        classes_of(None)


def test_labelled_input_appends_the_label_flat_or_as_channels():
    seen = {}

    def spy(x):
        seen["x"] = x
        return x.sum(1, keepdim=True)

    class Spy(torch.nn.Module):
        def forward(self, x):
            return spy(x)

    x, y = torch.rand(2, 1, 4, 4), torch.tensor([1, 2])
    LabelledInput(Spy(), 3, channels=False)(x, y)
    assert seen["x"].shape == (2, 16 + 3) and seen["x"][:, 16:].tolist() == [[0, 1, 0], [0, 0, 1]]
    LabelledInput(Spy(), 3, channels=True)(x, y)
    assert seen["x"].shape == (2, 4, 4, 4)
    assert torch.equal(seen["x"][1, 3], torch.ones(4, 4)) and torch.equal(seen["x"][1, 1], torch.zeros(4, 4))


def test_labelled_latent_gives_different_outputs_per_class():
    net = LabelledLatent(torch.nn.Linear(2 + 4, 5), 4)
    z = torch.randn(3, 2)
    a, b = net(z, torch.tensor([0, 0, 0])), net(z, torch.tensor([3, 3, 3]))
    assert a.shape == (3, 5) and not torch.allclose(a, b)


@pytest.mark.parametrize("make", [lambda: MLPDiscriminator((1, 8, 8), (16, 8)),
                                  lambda: DCGANDiscriminator(1, 16, ndf=4)])
def test_projection_discriminator_starts_as_the_wrapped_one_and_then_depends_on_the_class(make):
    torch.manual_seed(0)
    d = make().eval()
    x = torch.rand(5, 1, 8, 8) if isinstance(d, MLPDiscriminator) else torch.rand(5, 1, 16, 16)
    assert torch.allclose(d.head(d.features(x)), d(x), atol=1e-6)  # head(features(x)) is the forward pass
    features = d.feature_size if isinstance(d, MLPDiscriminator) else d.feature_shape[0] * d.feature_shape[1] ** 2
    proj = ProjectionDiscriminator(d, 3, features)
    y = torch.tensor([0, 1, 2, 0, 1])
    assert torch.allclose(proj(x, y), d(x), atol=1e-6)  # zero embedding: the unconditional D
    with torch.no_grad():
        proj.embed.weight.normal_()
    out = proj(x, y)
    expected = d(x) + (proj.embed.weight[y] * d.features(x)).sum(1)
    assert torch.allclose(out, expected, atol=1e-5) and not torch.allclose(out, d(x))


def test_projection_discriminator_class_head_shares_the_pass_and_is_refused_when_absent():
    """classify=True: with_classes gives the same logits as the plain call and class logits from phi; a D
    built without the head says so instead of returning something else."""
    torch.manual_seed(0)
    d = MLPDiscriminator((1, 8, 8), (16, 8)).eval()
    proj = ProjectionDiscriminator(d, 3, d.feature_size, classify=True)
    x, y = torch.rand(5, 1, 8, 8), torch.tensor([0, 1, 2, 0, 1])
    logits, classes = proj(x, y, with_classes=True)
    assert torch.equal(logits, proj(x, y)) and classes.shape == (5, 3)
    assert torch.allclose(classes, proj.classifier(d.features(x)), atol=1e-6)
    with pytest.raises(ValueError, match="without a class head"):
        ProjectionDiscriminator(d, 3, d.feature_size)(x, y, with_classes=True)
