from flowc_app import main

main()
