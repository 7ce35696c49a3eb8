"""The Streamlit app: entry file, pages in views/, helpers beside them (see README)."""
