"""Review chains (C4 C5 C7 C8 C11 C18): versioned templates, the engine, submissions and reviews."""
