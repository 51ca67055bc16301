// Placeholder until the SMPP module lands.
