// smppbench: an SMPP v3.4 load generator on smppd's own Reactor (see Options.swift for usage).
SmppBench.main()
