import sys

from vkc.cli import main

sys.exit(main())
