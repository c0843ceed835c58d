"""The staff side: the CSR console, dispatch, cashiering, reports and the walk-in demo."""
