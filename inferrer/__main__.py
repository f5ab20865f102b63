from inferrer.cli import main

main()
