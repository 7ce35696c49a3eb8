"""Figure builders: pure functions from a birnn_core trace to a plotly figure (no Streamlit).

    from app.figures.diagram import arrows_figure, merge_figure, final_state_rows
"""
