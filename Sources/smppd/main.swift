print("smppd 0.1.0")
