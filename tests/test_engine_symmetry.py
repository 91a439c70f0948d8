"""The symmetry engine against torch and autograd directly."""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tutor.engine import symmetry
from tutor.engine.presets import PRESETS

IMAGE = np.zeros((16, 16), dtype=np.float32)
IMAGE[4:12, 4:12] = 1.0
IMAGE[6:10, 6:10] = 0.0  # a square ring


def test_feature_maps_are_conv2d():
    kernels = np.array([PRESETS[n] for n in ("horizontal edge", "vertical edge", "blur")], dtype=np.float32)
    maps = symmetry.feature_maps(IMAGE, kernels)
    expected = F.conv2d(torch.from_numpy(IMAGE)[None, None], torch.from_numpy(kernels)[:, None], padding=1)[0]
    assert np.array_equal(maps, expected.numpy())
    assert symmetry.distinct_count(maps) == 3
    same = symmetry.feature_maps(IMAGE, np.stack([kernels[0]] * 3))
    assert symmetry.distinct_count(same) == 1


def test_equal_init_gradients_are_identical_at_every_step_by_autograd():
    target = symmetry.edge_magnitude(IMAGE)
    trainer = symmetry.Trainer(IMAGE, target, "equal", seed=0, lr=0.1)
    for _ in range(50):
        snap = trainer.step()
        assert snap.gradients_identical and snap.distinct_kernels == 1
    # the same gradients, computed here directly with autograd on a copy of the net
    net = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 1, 1))
    net.load_state_dict(trainer.net.state_dict())
    F.mse_loss(net(torch.from_numpy(IMAGE)[None, None]), torch.from_numpy(target)[None, None]).backward()
    grads = net[0].weight.grad[:, 0]
    assert torch.allclose(grads[0], grads[1], rtol=0, atol=symmetry.SAME)
    assert torch.allclose(grads[1], grads[2], rtol=0, atol=symmetry.SAME)


def test_random_init_breaks_symmetry_and_ends_lower():
    target = symmetry.edge_magnitude(IMAGE)
    equal = symmetry.Trainer(IMAGE, target, "equal", seed=0, lr=0.1).step(300)
    random = symmetry.Trainer(IMAGE, target, "random", seed=0, lr=0.1).step(300)
    assert equal.distinct_kernels == 1 and random.distinct_kernels == 3
    assert not random.gradients_identical
    assert random.losses[-1] < equal.losses[-1]


def test_edge_target_is_normalised_sobel_magnitude():
    target = symmetry.edge_magnitude(IMAGE)
    assert target.max() == 1.0 and target[0, 0] == 0.0 and target[4, 4] > 0


def test_training_is_torch_optim_sgd_step_for_step():
    """The trainer's update is torch.optim.SGD's, to the bit, for either start and a changed rate."""
    target = symmetry.edge_magnitude(IMAGE)
    x, y = torch.from_numpy(IMAGE)[None, None], torch.from_numpy(target)[None, None]
    for init in ("equal", "random"):
        trainer = symmetry.Trainer(IMAGE, target, init, seed=3, lr=0.1)
        net = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 1, 1))
        net.load_state_dict(trainer.net.state_dict())
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
        for step in range(60):
            if step == 30:
                trainer.set_lr(0.5)
                optimizer.param_groups[0]["lr"] = 0.5
            snap = trainer.step()
            optimizer.zero_grad()
            loss = F.mse_loss(net(x), y)
            loss.backward()
            optimizer.step()
            assert snap.losses[-1] == float(loss.detach())
        for mine, theirs in zip(trainer.net.parameters(), net.parameters()):
            assert torch.equal(mine, theirs)
