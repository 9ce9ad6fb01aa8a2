"""The datasets genlab knows by name, in the order `genlab datasets` lists them. Registering imports no
torch: each loader is imported on first use (registry.lazy), each describe function is torch-free."""

from genlab.data import describe as d
from genlab.data.registry import lazy, register, register_form

register("fashion-mnist", lazy("genlab.data.mnist:load_fashion_mnist"), describe=d.describe_fashion_mnist)
register("mnist", lazy("genlab.data.mnist:load_mnist"), describe=d.describe_mnist)
register("mnist-5k", lazy("genlab.data.bundled:load_mnist_5k"), describe=d.describe_mnist_5k)
register("digits", lazy("genlab.data.bundled:load_digits"), describe=d.describe_digits)
register("lfw-faces", lazy("genlab.data.bundled:load_lfw_faces"), describe=d.describe_lfw_faces)
register("lfw", lazy("genlab.data.lfw:load_lfw"), describe=d.describe_lfw)
register("celeba", lazy("genlab.data.celeba:load_celeba"), describe=d.describe_celeba)
register("two-moons", lazy("genlab.data.toy:load_two_moons"), describe=d.describe_two_moons)
register("gauss-1d", lazy("genlab.data.toy:load_gauss_1d"), describe=d.describe_gauss_1d)
register("gauss-1d-mixture", lazy("genlab.data.toy:load_gauss_1d_mixture"), describe=d.describe_gauss_1d_mixture)
# The DANN target domains (genlab.data.domains).
register("two-moons-rotated", lazy("genlab.data.domains:load_two_moons_rotated"),
         describe=d.describe_two_moons_rotated)
register("mnist-5k-m-like", lazy("genlab.data.domains:load_mnist_5k_m_like"), describe=d.describe_mnist_5k_m_like)
register("mnist-m-like", lazy("genlab.data.domains:load_mnist_m_like"), describe=d.describe_mnist_m_like)

register_form("idx", lazy("genlab.data.idxset:load_idx_spec"),
              help="an IDX image file (gzip or raw); labels and t10k test file beside it")
register_form("folder", lazy("genlab.data.folder:load_folder_spec"),
              help="a folder of images (recursive); one subfolder per class = labels")
