"""Pure domain: token kinds, scopes, policy and the advisor's tree. Stdlib only, no I/O."""
