// Placeholder until the Reactor module lands.
