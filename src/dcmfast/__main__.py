from dcmfast.cli import main
import sys

sys.exit(main())
