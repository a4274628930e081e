"""The SIEM workshop's decisions and documents (SPEC W1, W3, W5): the purpose questionnaire, the
retention decision frozen with its inputs and curve, the alignment charter, and the sizing sheet
and charter PDFs published as deliverables."""
