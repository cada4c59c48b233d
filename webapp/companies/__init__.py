"""The company register: master data owned by the register, its change history, merges."""
