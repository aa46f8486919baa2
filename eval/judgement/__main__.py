"""`python -m eval.judgement`: precision and recall of the text judges on the labelled set."""
import sys

from .runner import main

sys.exit(main())
