// Placeholder until the Queues module lands.
