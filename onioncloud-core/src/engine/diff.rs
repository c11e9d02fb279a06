//! Planning: the desired environment against the state.
