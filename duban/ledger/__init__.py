"""The ledger (督办工作台账) in and out of Excel: export (`export`), import (`importing`)."""
