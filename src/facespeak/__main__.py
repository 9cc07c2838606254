import sys

from facespeak.cli import main

sys.exit(main())
