"""Words the generator draws from: Brazilian cities, product categories, and review phrases (written for this
generator, in Portuguese with accents, the way customers write: short, sometimes in capitals, sometimes sloppy).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    name: str  # as Olist writes customer and seller cities: lower case, no accents
    accented: str  # as geolocation sometimes writes it
    state: str
    zip_low: int
    zip_high: int
    lat: float
    lng: float
    weight: float


CITIES: tuple[City, ...] = (
    City("sao paulo", "são paulo", "SP", 1000, 5999, -23.55, -46.63, 15.6),
    City("campinas", "campinas", "SP", 13000, 13139, -22.90, -47.06, 1.5),
    City("guarulhos", "guarulhos", "SP", 7000, 7399, -23.46, -46.53, 1.2),
    City("sao bernardo do campo", "são bernardo do campo", "SP", 9600, 9899, -23.69, -46.56, 0.9),
    City("santo andre", "santo andré", "SP", 9000, 9299, -23.66, -46.53, 0.8),
    City("osasco", "osasco", "SP", 6000, 6299, -23.53, -46.79, 0.7),
    City("sorocaba", "sorocaba", "SP", 18000, 18109, -23.50, -47.46, 0.6),
    City("ribeirao preto", "ribeirão preto", "SP", 14000, 14114, -21.18, -47.81, 0.6),
    City("santos", "santos", "SP", 11000, 11099, -23.96, -46.33, 0.6),
    City("sao jose dos campos", "são josé dos campos", "SP", 12200, 12249, -23.18, -45.89, 0.6),
    City("jundiai", "jundiaí", "SP", 13200, 13219, -23.19, -46.88, 0.4),
    City("franca", "franca", "SP", 14400, 14414, -20.54, -47.40, 0.3),
    City("mogi das cruzes", "mogi das cruzes", "SP", 8700, 8899, -23.52, -46.19, 0.4),
    City("rio de janeiro", "rio de janeiro", "RJ", 20000, 23799, -22.91, -43.21, 7.0),
    City("niteroi", "niterói", "RJ", 24000, 24399, -22.88, -43.10, 1.0),
    City("nova iguacu", "nova iguaçu", "RJ", 26000, 26099, -22.76, -43.45, 0.7),
    City("duque de caxias", "duque de caxias", "RJ", 25000, 25299, -22.79, -43.31, 0.6),
    City("sao goncalo", "são gonçalo", "RJ", 24400, 24799, -22.83, -43.05, 0.7),
    City("petropolis", "petrópolis", "RJ", 25600, 25799, -22.51, -43.18, 0.4),
    City("belo horizonte", "belo horizonte", "MG", 30000, 31999, -19.92, -43.94, 2.8),
    City("contagem", "contagem", "MG", 32000, 32399, -19.93, -44.05, 0.6),
    City("juiz de fora", "juiz de fora", "MG", 36000, 36099, -21.76, -43.35, 0.6),
    City("uberlandia", "uberlândia", "MG", 38400, 38414, -18.92, -48.28, 0.6),
    City("montes claros", "montes claros", "MG", 39400, 39409, -16.73, -43.86, 0.3),
    City("porto alegre", "porto alegre", "RS", 90000, 91999, -30.03, -51.23, 1.4),
    City("caxias do sul", "caxias do sul", "RS", 95000, 95124, -29.17, -51.18, 0.5),
    City("canoas", "canoas", "RS", 92000, 92479, -29.92, -51.18, 0.4),
    City("pelotas", "pelotas", "RS", 96000, 96099, -31.77, -52.34, 0.3),
    City("novo hamburgo", "novo hamburgo", "RS", 93300, 93599, -29.68, -51.13, 0.3),
    City("curitiba", "curitiba", "PR", 80000, 82999, -25.43, -49.27, 1.5),
    City("londrina", "londrina", "PR", 86000, 86099, -23.31, -51.16, 0.5),
    City("maringa", "maringá", "PR", 87000, 87099, -23.42, -51.94, 0.4),
    City("florianopolis", "florianópolis", "SC", 88000, 88099, -27.59, -48.55, 0.6),
    City("joinville", "joinville", "SC", 89200, 89239, -26.30, -48.85, 0.5),
    City("blumenau", "blumenau", "SC", 89000, 89099, -26.92, -49.07, 0.4),
    City("salvador", "salvador", "BA", 40000, 42599, -12.97, -38.50, 1.3),
    City("feira de santana", "feira de santana", "BA", 44000, 44099, -12.27, -38.97, 0.3),
    City("brasilia", "brasília", "DF", 70000, 73699, -15.79, -47.88, 2.1),
    City("goiania", "goiânia", "GO", 74000, 74899, -16.69, -49.26, 1.6),
    City("vitoria", "vitória", "ES", 29000, 29099, -20.32, -40.34, 0.7),
    City("vila velha", "vila velha", "ES", 29100, 29129, -20.33, -40.29, 0.6),
    City("recife", "recife", "PE", 50000, 52999, -8.05, -34.88, 1.0),
    City("fortaleza", "fortaleza", "CE", 60000, 61599, -3.73, -38.52, 0.9),
    City("belem", "belém", "PA", 66000, 66999, -1.46, -48.50, 0.5),
    City("cuiaba", "cuiabá", "MT", 78000, 78099, -15.60, -56.10, 0.4),
    City("campo grande", "campo grande", "MS", 79000, 79129, -20.47, -54.62, 0.4),
    City("sao luis", "são luís", "MA", 65000, 65109, -2.53, -44.30, 0.3),
    City("joao pessoa", "joão pessoa", "PB", 58000, 58099, -7.12, -34.86, 0.3),
    City("natal", "natal", "RN", 59000, 59149, -5.79, -35.21, 0.3),
    City("maceio", "maceió", "AL", 57000, 57099, -9.67, -35.74, 0.25),
    City("teresina", "teresina", "PI", 64000, 64099, -5.09, -42.80, 0.2),
    City("aracaju", "aracaju", "SE", 49000, 49099, -10.91, -37.07, 0.2),
    City("palmas", "palmas", "TO", 77000, 77270, -10.18, -48.33, 0.1),
    City("porto velho", "porto velho", "RO", 76800, 76834, -8.76, -63.90, 0.1),
    City("manaus", "manaus", "AM", 69000, 69099, -3.12, -60.02, 0.3),
    City("macapa", "macapá", "AP", 68900, 68914, 0.03, -51.07, 0.05),
    City("rio branco", "rio branco", "AC", 69900, 69923, -9.97, -67.81, 0.05),
    City("boa vista", "boa vista", "RR", 69300, 69339, 2.82, -60.67, 0.05),
)

STATE_NAMES = {"RS": "rio grande do sul", "SP": "sao paulo", "RJ": "rio de janeiro", "MG": "minas gerais"}

# (Portuguese category, English translation, share of products)
CATEGORIES: tuple[tuple[str, str, float], ...] = (
    ("cama_mesa_banho", "bed_bath_table", 9.0),
    ("esporte_lazer", "sports_leisure", 8.0),
    ("moveis_decoracao", "furniture_decor", 7.5),
    ("beleza_saude", "health_beauty", 7.5),
    ("utilidades_domesticas", "housewares", 7.0),
    ("informatica_acessorios", "computers_accessories", 5.0),
    ("automotivo", "auto", 5.0),
    ("brinquedos", "toys", 4.5),
    ("relogios_presentes", "watches_gifts", 4.0),
    ("telefonia", "telephony", 4.0),
    ("bebes", "baby", 3.0),
    ("perfumaria", "perfumery", 2.5),
    ("ferramentas_jardim", "garden_tools", 2.5),
    ("fashion_bolsas_e_acessorios", "fashion_bags_accessories", 2.5),
    ("papelaria", "stationery", 2.5),
    ("pet_shop", "pet_shop", 2.0),
    ("eletronicos", "electronics", 2.0),
    ("cool_stuff", "cool_stuff", 2.0),
    ("construcao_ferramentas_construcao", "construction_tools_construction", 1.5),
    ("eletrodomesticos", "home_appliances", 1.5),
    ("malas_acessorios", "luggage_accessories", 1.0),
    ("instrumentos_musicais", "musical_instruments", 1.0),
    ("consoles_games", "consoles_games", 1.0),
    ("livros_interesse_geral", "books_general_interest", 1.0),
    ("alimentos", "food", 0.8),
    ("bebidas", "drinks", 0.8),
    ("casa_conforto", "home_comfort", 0.7),
    ("climatizacao", "air_conditioning", 0.6),
    ("moveis_escritorio", "office_furniture", 0.6),
    ("fashion_calcados", "fashion_shoes", 0.5),
    ("audio", "audio", 0.5),
    ("eletroportateis", "small_appliances", 0.5),
    ("artes", "art", 0.4),
    ("industria_comercio_e_negocios", "industry_commerce_and_business", 0.3),
    ("agro_industria_e_comercio", "agro_industry_and_commerce", 0.3),
    ("sinalizacao_e_seguranca", "signaling_and_security", 0.3),
    ("market_place", "market_place", 0.3),
    ("tablets_impressao_imagem", "tablets_printing_image", 0.2),
    ("musica", "music", 0.1),
    ("flores", "flowers", 0.1),
    ("artes_e_artesanato", "arts_and_craftmanship", 0.05),
    ("seguros_e_servicos", "security_and_services", 0.02),
)
# In the original, products use two categories the translation table lacks; Silver must cope with that.
UNTRANSLATED_CATEGORIES: tuple[tuple[str, float], ...] = (
    ("portateis_cozinha_e_preparadores_de_alimentos", 0.03),
    ("pc_gamer", 0.01),
)

TITLES_GOOD = (
    "Recomendo", "Ótimo", "Muito bom", "Excelente", "Perfeito", "Super recomendo", "Amei", "Top",
    "Ótimo produto", "Entrega rápida", "Nota 10", "Gostei", "Maravilhoso!", "Tudo certo", "Satisfeita",
    "RECOMENDO", "Produto de qualidade", "Chegou antes do prazo", "10", "5 estrelas",
)  # fmt: skip
TITLES_MIXED = ("Bom", "Razoável", "Poderia ser melhor", "Mais ou menos", "Regular", "Ok", "Médio")
TITLES_BAD = (
    "Não recebi", "Péssimo", "Atraso na entrega", "Produto errado", "Decepcionado", "Não recomendo",
    "Veio com defeito", "Ainda não chegou", "Horrível", "Faltou um item",
)  # fmt: skip

SENTENCES_GOOD = (
    "Produto chegou antes do prazo e muito bem embalado.",
    "Gostei muito, exatamente como na descrição.",
    "Entrega rápida, recomendo a loja.",
    "Ótima qualidade, superou minhas expectativas.",
    "Tudo certo com a compra, obrigado!",
    "Meu filho adorou o presente.",
    "Comprarei outras vezes, atendimento nota 10.",
    "Chegou bem antes da data prevista, parabéns.",
    "O produto é lindo e o acabamento é ótimo.",
    "Recebi tudo certinho",
    "100% satisfeita com a compra",
    "Excelente custo benefício",
    "muito bom recomendo",
    "Vendedor atencioso, respondeu rápido às minhas dúvidas.",
    "Produto original, bem embalado, chegou em perfeito estado.",
    'Bem melhor do que eu esperava, "top" mesmo.',
)
SENTENCES_MIXED = (
    "O produto é bom, mas a entrega demorou um pouco.",
    "Achei o material um pouco frágil pelo preço.",
    "A cor é diferente da foto do anúncio.",
    "Chegou no prazo, porém a embalagem estava amassada.",
    "Funciona, mas esperava mais.",
    "Tamanho menor do que imaginei",
    "Atende ao que promete, nada além disso.",
)
SENTENCES_BAD = (
    "Até agora não recebi o produto e já passou do prazo.",
    "Comprei dois itens e só recebi um.",
    "Produto veio quebrado, quero a devolução do dinheiro.",
    "Não recomendo essa loja, ninguém responde as mensagens.",
    "O produto não corresponde ao anúncio.",
    "Estou aguardando a entrega há semanas, sem nenhuma informação.",
    "Veio com defeito e a troca está demorando muito.",
    "PÉSSIMO ATENDIMENTO",
    "A nota fiscal veio com o endereço errado, e a entrega atrasou.",
    'Recebi um produto diferente do que comprei, disseram que era "igual".',
)
