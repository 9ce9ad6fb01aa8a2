"""`python -m genlab` is the same program as `genlab` (so `torchrun -m genlab train ...` works)."""

from genlab.cli import main

raise SystemExit(main())
