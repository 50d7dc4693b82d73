pub fn build(_md: &super::Metadata) -> Result<tokenizers::Tokenizer, super::TokenizerError> {
    Err(super::TokenizerError::Unsupported("spm pending".into()))
}
