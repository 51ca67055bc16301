// Placeholder until the SMSC module lands.
