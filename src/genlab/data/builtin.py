"""The datasets genlab knows by name, in the order `genlab datasets` lists them."""

from genlab.data import bundled, celeba, mnist, toy
from genlab.data.folder import load_folder_spec
from genlab.data.idxset import load_idx_spec
from genlab.data.registry import register, register_form

register("fashion-mnist", mnist.load_fashion_mnist, describe=mnist.describe_fashion_mnist)
register("mnist", mnist.load_mnist, describe=mnist.describe_mnist)
register("mnist-5k", bundled.load_mnist_5k, describe=bundled.describe_mnist_5k)
register("digits", bundled.load_digits, describe=bundled.describe_digits)
register("lfw-faces", bundled.load_lfw_faces, describe=bundled.describe_lfw_faces)
register("celeba", celeba.load_celeba, describe=celeba.describe_celeba)
register("two-moons", toy.load_two_moons, describe=toy.describe_two_moons)
register("gauss-1d", toy.load_gauss_1d, describe=toy.describe_gauss_1d)
register("gauss-1d-mixture", toy.load_gauss_1d_mixture, describe=toy.describe_gauss_1d_mixture)

register_form("idx", load_idx_spec, help="an IDX image file (gzip or raw); labels and t10k test file beside it")
register_form("folder", load_folder_spec, help="a folder of images (recursive); one subfolder per class = labels")
