"""The trader-facing HTML report of the backtest (``alvh report``, asset
``report/strategy_report``): charts in :mod:`.charts`, the page in :mod:`.build`."""
